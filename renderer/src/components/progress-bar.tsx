/** A labelled progress bar; `value` null means unknown (indeterminate). */
import { formatPercent } from '../format.js';

export interface ProgressBarProps {
  /** 0..1, or null when the total is unknown. */
  value: number | null;
  label: string;
  locale: string;
}

export function ProgressBar({ value, label, locale }: ProgressBarProps) {
  const clamped = value === null ? null : Math.min(1, Math.max(0, value));
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={clamped === null ? undefined : Math.round(clamped * 100)}
      aria-valuetext={clamped === null ? undefined : formatPercent(clamped, locale)}
    >
      <div
        className={clamped === null ? 'progress__fill progress__fill--unknown' : 'progress__fill'}
        style={clamped === null ? undefined : { transform: `scaleX(${clamped})` }}
      />
    </div>
  );
}
