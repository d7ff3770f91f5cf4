/**
 * zod, set up for this process: every schema module imports `z` from here, so the setting below
 * holds before the first schema is built.
 *
 * `jitless`: by default zod compiles a parser for each object schema with `new Function` the first
 * time it parses, which pays off after many parses of the same schema. A failover run parses most
 * of its schemas once or a few times (config, runbook, step inputs, the plan, a few hundred Argo
 * CD apps at most), and without V8's optimizing compiler (bin/failover.js) the compiled parser
 * runs no faster: without the JIT a to-aws plan takes about 50 ms less CPU (interleaved dry runs
 * against the sandbox), `status` about 40 ms.
 */
import { z } from 'zod';

z.config({ jitless: true });

export { z };
