// Free text that ends up in a stored document, a log line or a terminal: reasons from operators and
// alarms, probe details from servers. One rule everywhere: control characters become spaces (no
// escape codes reach a terminal, no newline reaches a file) and the text is cut to a byte budget
// counted as JSON encodes it, so a bound on the field is a bound on the document.

// C0 controls, DEL and C1 controls; line and paragraph separators too (JSON keeps them raw).
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Bytes `text` takes inside a JSON document, quotes excluded. */
export function jsonBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8') - 2;
}

/** `text` without control characters, cut (at a character boundary, marked with "...") to `maxBytes` JSON bytes. */
export function clipText(text: string, maxBytes: number): string {
  const clean = text.replace(CONTROL, ' ');
  if (jsonBytes(clean) <= maxBytes) return clean;
  let kept = '';
  let bytes = 0;
  for (const char of clean) {
    const size = jsonBytes(char);
    if (bytes + size > maxBytes - 3) break;
    kept += char;
    bytes += size;
  }
  return `${kept}...`;
}
