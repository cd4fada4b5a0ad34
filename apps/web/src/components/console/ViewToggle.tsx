/** How a console panel shows its numbers: drawn, or every one of them in a table. */
export type PanelView = 'chart' | 'table';

/** The chart/table switch and CSV export every console panel carries in its heading. */
export function ViewToggle({
  view,
  onView,
  onCsv,
}: {
  view: PanelView;
  onView: (view: PanelView) => void;
  onCsv: () => void;
}) {
  return (
    <fieldset className="view-toggle">
      <legend className="sr-only">View</legend>
      <button type="button" className="small" aria-pressed={view === 'chart'} onClick={() => onView('chart')}>
        Chart
      </button>
      <button type="button" className="small" aria-pressed={view === 'table'} onClick={() => onView('table')}>
        Table
      </button>
      <button type="button" className="small" onClick={onCsv}>
        CSV
      </button>
    </fieldset>
  );
}
