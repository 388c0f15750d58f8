// The entry of a group's page that has no live part of its own (the waiting page, the
// history, the journal, the attendance): it follows the group, part by part.

import { followPage } from "./follow.js";

window.codevPage = followPage();
