// Config node: the memories.ai account (API key, kept as a Node-RED credential), the API's
// Base URL, and the public URL at which memories.ai reaches this Node-RED for callbacks.
import { validateBaseUrl } from '../../../core';
import type { AccountProperties } from '../account/properties';
import type { ConfigNode, NodeAPI } from '../lib/red';
import { createUndiciTransport } from '../lib/undici-transport';

/** The Base URL as the core reads it (its default when empty); one it refuses is kept as typed, for every call to report. */
function baseUrlOf(value: unknown): string {
	try {
		return validateBaseUrl(value);
	} catch {
		return typeof value === 'string' ? value.trim() : '';
	}
}

export = function register(RED: NodeAPI): void {
	function MemoriesLiveConfig(this: ConfigNode, props: AccountProperties): void {
		RED.nodes.createNode(this, props);
		this.baseUrl = baseUrlOf(props.baseUrl);
		this.publicUrl = typeof props.publicUrl === 'string' ? props.publicUrl.trim() : '';
		const transport = createUndiciTransport();
		this.transport = transport.send;
		this.secrets = () => (this.credentials?.apiKey ? [this.credentials.apiKey] : []);
		this.on('close', (_removed, done) => {
			transport.close().then(done, done);
		});
	}

	RED.nodes.registerType('memories-live-config', MemoriesLiveConfig, {
		credentials: { apiKey: { type: 'password' } },
	});
};
