// The Messages view's geometry (webview/sequenceLayout.ts), for any number of lanes and any width:
// the label column starts right of every lifeline, arrow head and loop a lane can draw, and the
// time column ends left of the first lane. The browser test (messages.test.ts) checks the drawn
// pixels; this checks the rule for the widths and lane counts that test does not reach.

import assert from "node:assert/strict";
import { test } from "node:test";
import { labelBox, laneX, MARK_REACH, ROW, rowY, sequenceGeometry, TIME_WIDTH } from "../../webview/sequenceLayout.js";

test("issue 16: labels and times never overlap a lane: lifelines, arrows and their heads, and loops stay between the columns", () => {
  for (let lanes = 0; lanes <= 13; lanes++) {
    for (let width = 200; width <= 2400; width += 50) {
      const g = sequenceGeometry(lanes, width);
      assert.ok(g.width >= width, "the diagram fills the view");
      if (lanes === 0) continue;
      const first = laneX(g, 0);
      const last = laneX(g, lanes - 1);
      // A lane draws at most half its width either side: an arrow's head reaches MARK_REACH past its
      // lifeline, a loop at most half the lane, a cross 5 px.
      const reach = Math.max(MARK_REACH, 5, g.laneWidth / 2);
      assert.ok(first - reach >= TIME_WIDTH, `lanes ${lanes}, width ${width}: the first lane reaches into the time column`);
      for (let i = 0; i < 3; i++) {
        const box = labelBox(g, i);
        assert.ok(box.x > last + reach, `lanes ${lanes}, width ${width}: the label at ${box.x} starts within the last lane's reach ${last + reach}`);
        assert.ok(box.width > 0 && box.x + box.width <= g.width, "the label fits the diagram");
        assert.ok(box.y <= rowY(i) - ROW / 2 + 0.001 && box.y + box.height >= rowY(i) + ROW / 2 - 0.001, "the label has its row");
      }
    }
  }
});
