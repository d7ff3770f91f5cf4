/** Port of the Git adapter: only the calls the steps make. (Filled in by the adapter.) */
// biome-ignore lint/suspicious/noEmptyInterface: the adapter defines its calls here.
export interface GitReader {}
// biome-ignore lint/suspicious/noEmptyInterface: the adapter defines its calls here.
export interface GitWriter {}
