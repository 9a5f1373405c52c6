import { useRef } from 'react';
import { MAX_COLUMN_WIDTH, MIN_COLUMN_WIDTH } from './column-widths';

/** Keyboard step of a column resize, px. */
const STEP = 16;

/**
 * The drag handle at a column header's right edge (an ARIA separator): drag or ←/→ to resize
 * the column, double-click or Home to fit it to its content again.
 */
export function ColumnResizer({
  label,
  width,
  onResize,
  onReset,
}: {
  label: string;
  width: number;
  onResize(width: number): void;
  onReset(): void;
}) {
  const drag = useRef<{ x: number; width: number } | null>(null);
  const clamp = (w: number) =>
    Math.round(Math.max(MIN_COLUMN_WIDTH, Math.min(MAX_COLUMN_WIDTH, w)));
  return (
    <div
      className="rt-resizer"
      role="separator"
      aria-orientation="vertical"
      aria-label={`Resize the ${label} column`}
      aria-valuenow={Math.round(width)}
      aria-valuemin={MIN_COLUMN_WIDTH}
      aria-valuemax={MAX_COLUMN_WIDTH}
      tabIndex={0}
      title="Drag to resize, double-click to fit"
      onPointerDown={(e) => {
        e.preventDefault();
        e.stopPropagation();
        drag.current = { x: e.clientX, width };
        e.currentTarget.setPointerCapture(e.pointerId);
      }}
      onPointerMove={(e) => {
        if (drag.current) onResize(clamp(drag.current.width + e.clientX - drag.current.x));
      }}
      onPointerUp={() => {
        drag.current = null;
      }}
      onDoubleClick={onReset}
      onKeyDown={(e) => {
        if (e.key === 'ArrowRight') onResize(clamp(width + STEP));
        else if (e.key === 'ArrowLeft') onResize(clamp(width - STEP));
        else if (e.key === 'Home') onReset();
        else return;
        e.preventDefault();
      }}
    />
  );
}
