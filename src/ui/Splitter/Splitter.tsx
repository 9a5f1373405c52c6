import { useRef } from 'react';
import type { PointerEvent } from 'react';

/**
 * A drag handle (ARIA separator) that resizes two areas, as a fraction of their space: pointer
 * drag through `fractionAt`, keyboard through `increaseKey`/`decreaseKey` in steps of 5 %.
 */
export function Splitter({
  className,
  label,
  orientation,
  value,
  min,
  max,
  increaseKey,
  decreaseKey,
  fractionAt,
  onResize,
}: {
  className: string;
  label: string;
  orientation: 'vertical' | 'horizontal';
  /** The current fraction (0..1). */
  value: number;
  /** Bounds announced to assistive technology, in percent. */
  min: number;
  max: number;
  increaseKey: string;
  decreaseKey: string;
  /** The fraction the pointer position stands for. */
  fractionAt(e: PointerEvent<HTMLDivElement>): number | null;
  onResize(fraction: number): void;
}) {
  const dragging = useRef(false);
  return (
    <div
      className={className}
      role="separator"
      aria-orientation={orientation}
      aria-label={label}
      aria-valuenow={Math.round(value * 100)}
      aria-valuemin={min}
      aria-valuemax={max}
      tabIndex={0}
      onPointerDown={(e) => {
        dragging.current = true;
        e.currentTarget.setPointerCapture(e.pointerId);
      }}
      onPointerMove={(e) => {
        if (!dragging.current) return;
        const f = fractionAt(e);
        if (f !== null) onResize(f);
      }}
      onPointerUp={() => {
        dragging.current = false;
      }}
      onKeyDown={(e) => {
        if (e.key === increaseKey) onResize(value + 0.05);
        if (e.key === decreaseKey) onResize(value - 0.05);
      }}
    />
  );
}
