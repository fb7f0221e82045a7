// Small marks beside a tall axis (a raster's flagged channels) laid out so none covers another:
// a mark goes in the first column whose last mark is far enough above it, up to a few columns.

/** Columns marks may spread over before they are allowed to overlap (the raster keeps its width). */
export const MAX_MARK_COLUMNS = 4;

/**
 * The column of each mark at these heights (px, ascending): the first column whose last mark is
 * at least `gap` px above it; with every column taken, the one whose last mark is highest.
 */
export function markColumns(tops: readonly number[], gap: number, maxColumns = MAX_MARK_COLUMNS): number[] {
  const lastTop: number[] = [];
  return tops.map((top) => {
    let column = lastTop.findIndex((last) => top - last >= gap);
    if (column < 0 && lastTop.length < maxColumns) column = lastTop.push(top) - 1;
    if (column < 0) column = lastTop.indexOf(Math.min(...lastTop));
    lastTop[column] = top;
    return column;
  });
}
