import { useEffect, useRef, useState } from 'react';

/** A text field that keeps what the user types and reports it only when valid. */
export function CheckedInput({
  id,
  value,
  disabled,
  check,
  onValid,
  placeholder,
  list,
  inputMode,
}: {
  id: string;
  value: string;
  disabled: boolean;
  check(text: string): string | null;
  onValid(text: string): void;
  placeholder?: string;
  list?: string;
  inputMode?: 'numeric' | 'text';
}) {
  const [text, setText] = useState(value);
  const [focused, setFocused] = useState(false);
  // Follow the document while the user is not typing here (undo, XML edits).
  useEffect(() => {
    if (!focused) setText(value);
  }, [value, focused]);
  const error = text === value ? null : check(text);
  const errorRef = useRef<HTMLSpanElement>(null);
  // The message appears under the field: scroll the form so it is read, not cut off.
  const shown = error !== null;
  useEffect(() => {
    if (shown) errorRef.current?.scrollIntoView({ block: 'nearest' });
  }, [shown]);
  return (
    <>
      <input
        id={id}
        value={text}
        disabled={disabled}
        placeholder={placeholder}
        list={list}
        inputMode={inputMode}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onFocus={() => setFocused(true)}
        onBlur={() => {
          setFocused(false);
          if (check(text)) setText(value);
        }}
        onChange={(e) => {
          const next = e.target.value;
          setText(next);
          if (check(next) === null) onValid(next);
        }}
      />
      {error && (
        <span id={`${id}-error`} className="field-error" role="alert" ref={errorRef}>
          {error}
        </span>
      )}
    </>
  );
}
