/** The tool's own version (package.json), stamped on every JSON output and JSON report. */
import { packageManifest } from './package-root.js';

export const TOOL_VERSION: string = packageManifest().version;
