import { type ReactNode, useEffect, useLayoutEffect, useRef, useState } from 'react';

interface Props<T> {
  items: T[];
  rowHeight: number;
  /** Index to keep in view (the keyboard selection). */
  activeIndex: number;
  label: string;
  renderRow(item: T, index: number): ReactNode;
  keyOf(item: T): string;
  /** Called when the last rows come into view: the moment to fetch the next page. */
  onNearEnd?(): void;
}

const OVERSCAN = 6;

/**
 * Renders only the rows in view, so a queue of thousands of items costs the same as a
 * screenful. Rows have a fixed height; positions are computed, not measured.
 */
export function VirtualList<T>({
  items,
  rowHeight,
  activeIndex,
  label,
  renderRow,
  keyOf,
  onNearEnd,
}: Props<T>) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    setHeight(element.clientHeight);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const element = scroller.current;
    if (!element || activeIndex < 0) return;
    const top = activeIndex * rowHeight;
    if (top < element.scrollTop) element.scrollTop = top;
    else if (top + rowHeight > element.scrollTop + element.clientHeight)
      element.scrollTop = top + rowHeight - element.clientHeight;
  }, [activeIndex, rowHeight]);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + OVERSCAN);

  useEffect(() => {
    if (onNearEnd && items.length > 0 && last >= items.length - OVERSCAN) onNearEnd();
  }, [last, items.length, onNearEnd]);

  const rows: ReactNode[] = [];
  for (let index = first; index < last; index++) {
    const item = items[index] as T;
    rows.push(
      <li
        key={keyOf(item)}
        className="vrow"
        style={{ top: index * rowHeight, height: rowHeight }}
        aria-setsize={items.length}
        aria-posinset={index + 1}
      >
        {renderRow(item, index)}
      </li>,
    );
  }

  return (
    <div
      ref={scroller}
      className="vscroll"
      onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
      data-testid="queue-scroller"
    >
      <ul aria-label={label} className="vlist" style={{ height: items.length * rowHeight }}>
        {rows}
      </ul>
    </div>
  );
}
