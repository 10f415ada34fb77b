import type { NodeDef } from '../lib/red';

/** A memories-live-config node as the editor saves it (the API key is a credential). */
export interface AccountProperties extends NodeDef {
	/** Empty: the real service. */
	baseUrl?: string;
	/** Where memories.ai reaches this Node-RED for callbacks; empty: not set. */
	publicUrl?: string;
	/** Stream-minutes per UTC day for the streams started with this account; 0 or empty: no budget. */
	dailyBudget?: number | string;
}
