// Style sheets imported for their side effect: esbuild emits them as files.
declare module "*.css";
