/**
 * `require` for CommonJS packages and builds: the cloud SDKs, and fast-xml-parser's one-file
 * CommonJS build. An `import` of a CommonJS package goes through Node's ESM loader, which reads the
 * package's entry file twice before running it: once to tell CommonJS from ESM (the packages
 * declare no "type") and once to list its named exports. For the bundled AWS SDK entries that is
 * 35–45 ms per SDK and process (bench/startup); `require` skips both. The objects are the same
 * either way (one CommonJS module cache), so SDK mocks still apply.
 */
import { createRequire } from 'node:module';

export const requireCommonJs = createRequire(import.meta.url);
