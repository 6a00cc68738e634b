// The rule pages of docs/rules/ by rule id, bundled as text by scripts/build.mjs.
declare module 'ilb-hairpin:rule-docs' {
  const pages: Record<string, string>;
  export default pages;
}
