// The alarm area's entry, loaded by the site's header on every page (observablehq.config.ts).
// A published review is not live (it never asks /api or /ws), so it has no alarm area.
import { mountAlarmArea } from "./alarm-area.js";
import { isPublishedReview } from "./site-mode.js";

const area = document.getElementById("runboard-alarm-area");
if (area && isPublishedReview()) area.remove();
else if (area) mountAlarmArea(area);
