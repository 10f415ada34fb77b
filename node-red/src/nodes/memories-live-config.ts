// Config node: the memories.ai account (API key, kept as a Node-RED credential), the API's
// Base URL, and the public URL at which memories.ai reaches this Node-RED for callbacks.
import { ApiClient } from '../lib/api-client';
import type { ConfigNode, NodeAPI, NodeDef } from '../lib/red';
import { DEFAULT_BASE_URL, InputError, validateApiKey, validateBaseUrl } from '../core';

export = function register(RED: NodeAPI): void {
	function MemoriesLiveConfig(this: ConfigNode, def: NodeDef): void {
		RED.nodes.createNode(this, def);
		this.baseUrl = typeof def.baseUrl === 'string' && def.baseUrl.trim() !== '' ? def.baseUrl.trim() : DEFAULT_BASE_URL;
		this.publicUrl = typeof def.publicUrl === 'string' ? def.publicUrl.trim() : '';
		let client: ApiClient | undefined;
		this.secrets = () => (this.credentials?.apiKey ? [this.credentials.apiKey] : []);
		this.client = () => {
			if (!client) {
				if (!this.credentials?.apiKey) {
					throw new InputError('API Key', RED._('memories-live-config.errors.no-key'));
				}
				client = new ApiClient({ baseUrl: validateBaseUrl(this.baseUrl), apiKey: validateApiKey(this.credentials.apiKey) });
			}
			return client;
		};
		this.on('close', (_removed, done) => {
			const closing = client;
			client = undefined;
			if (!closing) return done();
			closing.close().then(done, done);
		});
	}

	RED.nodes.registerType('memories-live-config', MemoriesLiveConfig, {
		credentials: { apiKey: { type: 'password' } },
	});
};
