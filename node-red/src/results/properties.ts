import type { FilterMode } from '../../../core';
import type { NodeDef } from '../lib/red';

/** A memories-live-results node as the editor saves it (the callback secret is a credential). */
export interface ResultsProperties extends NodeDef {
	/** Where callbacks arrive, under httpNodeRoot, e.g. /memories/results. */
	path?: string;
	emit?: FilterMode;
	keywords?: string;
	regex?: string;
	caseSensitive?: boolean;
	/** Missing (older flows): on. */
	ignoreDuplicates?: boolean;
	/**
	 * Optional: the memories-live-config node that stops streams started elsewhere (by n8n, another
	 * Node-RED) at their Stop After deadline. Streams started here are stopped with their own account.
	 */
	config?: string;
}
