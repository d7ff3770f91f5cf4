/** Port of the HTTP prober. (Filled in by the adapter.) */
// biome-ignore lint/suspicious/noEmptyInterface: the adapter defines its calls here.
export interface HttpProber {}
