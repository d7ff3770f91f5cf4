/** Port of the Eks adapter: only the calls the steps make. (Filled in by the adapter.) */
// biome-ignore lint/suspicious/noEmptyInterface: the adapter defines its calls here.
export interface EksReader {}
// biome-ignore lint/suspicious/noEmptyInterface: the adapter defines its calls here.
export interface EksWriter {}
