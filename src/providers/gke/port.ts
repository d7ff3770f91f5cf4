/** Port of the Gke adapter: only the calls the steps make. (Filled in by the adapter.) */
// biome-ignore lint/suspicious/noEmptyInterface: the adapter defines its calls here.
export interface GkeReader {}
// biome-ignore lint/suspicious/noEmptyInterface: the adapter defines its calls here.
export interface GkeWriter {}
