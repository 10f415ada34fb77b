import type { NodeDef } from '../lib/red';

/** A memories-live-start node as the editor saves it. Messages may override the stream fields. */
export interface StartProperties extends NodeDef {
	/** The memories-live-config node's id. */
	config: string;
	/** `results`: the callback URL of a results node (`results`) under the account's Public URL; `url`: `callbackUrl`. */
	callbackMode?: 'results' | 'url';
	results?: string;
	callbackUrl?: string;
	rtmpUrl?: string;
	userPrompt?: string;
	systemPrompt?: string;
	thinking?: boolean | string;
	/** Minutes; 0 or empty: no limit. */
	maxDuration?: number | string;
	/** Missing (older flows): on. */
	stopOnClose?: boolean;
}

/** Message properties that override the node's settings. */
export type MessageOverride = 'rtmpUrl' | 'userPrompt' | 'systemPrompt' | 'callbackUrl' | 'thinking' | 'maxDuration';
