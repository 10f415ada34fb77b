import type { NodeDef } from '../lib/red';

/** A memories-live-config node as the editor saves it (the API key is a credential). */
export interface AccountProperties extends NodeDef {
	/** Empty: the real service. */
	baseUrl?: string;
	/** Where memories.ai reaches this Node-RED for callbacks; empty: not set. */
	publicUrl?: string;
}
