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
}
