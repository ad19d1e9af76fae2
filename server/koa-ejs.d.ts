// @koa/ejs ships no types and there is no @types package (TOOLCHAIN trap 5).
declare module '@koa/ejs' {
  import type Koa from 'koa';

  type Settings = {
    root: string;
    layout?: string | false;
    viewExt?: string;
    cache?: boolean;
    debug?: boolean;
    async?: boolean;
  };
  export default function koaEjs(app: Koa, settings: Settings): void;
}
