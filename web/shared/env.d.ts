// Vite bundles imported CSS files into the page's stylesheet; the import has no value.
declare module '*.css';
