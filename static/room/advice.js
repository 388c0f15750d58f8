// When a question reads as advice or judgement (issue 15, item 2): the rules of
// room/domain/session/advice.py, which the room page gives as a JSON data block, run
// on the text normalised the same way. The composer only tells the writer; the server
// takes the post whatever the rules say.

let rules = [];

export function loadAdviceRules(element) {
  const data = element ? JSON.parse(element.textContent) : [];
  rules = data.map((rule) => ({ id: rule.id, reason: rule.reason, pattern: new RegExp(rule.pattern) }));
}

// As advice.py's `normalise`: lowercase, one apostrophe and hyphen, single spaces.
export function normalise(text) {
  return text
    .toLowerCase()
    .replace(/[\u2019\u2018\u02bc`]/g, "'")
    .replace(/\u2011/g, "-")
    .replace(/\s+/g, " ")
    .trim();
}

// The rules `text` matches, in their order: [{id, reason}]; empty for a question.
export function readsAsAdvice(text) {
  const plain = normalise(text || "");
  if (!plain) return [];
  return rules.filter((rule) => rule.pattern.test(plain)).map(({ id, reason }) => ({ id, reason }));
}
