/**
 * One copy of each string given to it. With `max`, the table is emptied when it holds that many,
 * so that a long-lived one does not keep every string it ever met.
 */
export function stringInterner(max = Infinity): (s: string) => string {
  const strings = new Map<string, string>();
  return (s) => {
    const known = strings.get(s);
    if (known !== undefined) return known;
    if (strings.size >= max) strings.clear();
    strings.set(s, s);
    return s;
  };
}
