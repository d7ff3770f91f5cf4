/** Port of the Route53 adapter: only the calls the steps make. (Filled in by the adapter.) */
// biome-ignore lint/suspicious/noEmptyInterface: the adapter defines its calls here.
export interface Route53Reader {}
// biome-ignore lint/suspicious/noEmptyInterface: the adapter defines its calls here.
export interface Route53Writer {}
