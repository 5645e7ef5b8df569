// Where the Messages view draws things: a time column, one lane (lifeline) per process, and the
// labels in a column of their own right of the last lane, so that no label ever covers an arrow
// or a lifeline, however many lanes there are and whatever the arrows span.

/** One row per event. */
export const ROW = 22;
/** The lane heads: a pid, and a name under it. */
export const HEAD = 36;
export const TIME_WIDTH = 76;
const LANE_MIN = 64;
const LANE_MAX = 120;
/** Room between the last lane's lifeline area and the labels. */
const LABEL_GAP = 12;
/** The label column is never narrower than this: with many lanes the view scrolls sideways instead. */
const LABEL_MIN = 240;
/** How far an arrow's head reaches beyond its end, and a marker (a dot, a cross) beside its lifeline. */
export const MARK_REACH = 6;

export interface SequenceGeometry {
  laneCount: number;
  laneWidth: number;
  /** Where the labels start: right of every lane, arrow and marker. */
  labelX: number;
  /** The whole diagram's width; wider than the view when the lanes and the label column need it. */
  width: number;
}

/** Lanes share what the label column leaves of `available`, each between LANE_MIN and LANE_MAX wide. */
export function sequenceGeometry(laneCount: number, available: number): SequenceGeometry {
  const forLanes = Math.max(0, available - TIME_WIDTH - LABEL_GAP - LABEL_MIN);
  const laneWidth = Math.max(LANE_MIN, Math.min(LANE_MAX, laneCount === 0 ? LANE_MAX : Math.floor(forLanes / laneCount)));
  const labelX = TIME_WIDTH + laneCount * laneWidth + LABEL_GAP;
  return { laneCount, laneWidth, labelX, width: Math.max(available, labelX + LABEL_MIN) };
}

/** The x of a lane's lifeline. */
export function laneX(g: SequenceGeometry, lane: number): number {
  return TIME_WIDTH + lane * g.laneWidth + g.laneWidth / 2;
}

/** The vertical middle of row `i` (0 the oldest shown), in the diagram's coordinates below the heads. */
export function rowY(i: number): number {
  return i * ROW + ROW / 2;
}

/** A label's box: from the label column's start to the diagram's right edge, within its row. */
export function labelBox(g: SequenceGeometry, i: number): { x: number; y: number; width: number; height: number } {
  return { x: g.labelX, y: i * ROW, width: g.width - g.labelX, height: ROW };
}
