// highlight.js publishes types for its full build and its languages, not for the core entry.
declare module 'highlight.js/lib/core' {
  import hljs from 'highlight.js';
  export default hljs;
}
