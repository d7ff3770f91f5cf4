/**
 * The policy document validator lives with the Route 53 adapter (production code validates new
 * documents client-side before creating a version); the emulator answers
 * InvalidTrafficPolicyDocument with the same problems. Re-exported so the sandbox keeps its imports.
 */
export * from '../../providers/route53/document.js';
