/** Where a byte sequence stops being UTF-8, positioned as the XML diagnostics are. */
export interface Utf8Error {
  /** Byte offset of the first byte that is not part of a valid UTF-8 sequence. */
  offset: number;
  /** 1-based line and column (UTF-16 code units, as editors count) of that byte. */
  line: number;
  column: number;
  /** The offending byte, for the message. */
  byte: number;
}

/**
 * Finds the first invalid UTF-8 sequence (overlong forms, surrogates and code points past
 * U+10FFFF included, as libxml2 refuses them), or null when `bytes` is valid UTF-8. Decoders
 * replace such bytes with U+FFFD silently; libvirt refuses the document instead.
 */
export function findInvalidUtf8(bytes: Uint8Array): Utf8Error | null {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
      cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
      cp = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
      cp = b & 0x07;
    } else {
      return locate(bytes, i);
    }
    if (i + need >= n) return locate(bytes, i);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return locate(bytes, i);
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return locate(bytes, i);
    i += need + 1;
  }
  return null;
}

function locate(bytes: Uint8Array, offset: number): Utf8Error {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  let column = 1;
  for (let i = lineStart; i < offset; i++) {
    const b = bytes[i] as number;
    if ((b & 0xc0) === 0x80) continue;
    column += b >= 0xf0 ? 2 : 1;
  }
  return { offset, line, column, byte: bytes[offset] as number };
}
