import { NodeConnectionTypes } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { errorItemJson, toNodeError } from '../shared/errors';
import { ApiSession, CREDENTIAL_TYPE, openSession } from '../shared/transport';
import { executeStart, executeStop, streamDescription } from './resources/stream';

export class MemoriesLiveVideo implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Memories.ai Live Video',
		name: 'memoriesLiveVideo',
		icon: { light: 'file:../../icons/memories.svg', dark: 'file:../../icons/memories.dark.svg' },
		group: ['transform'],
		// 1.1: Start has Stop After, by default an hour; version 1 workflows keep 0 (never).
		version: [1, 1.1],
		defaultVersion: 1.1,
		subtitle: '={{$parameter["operation"] === "stop" ? "Stop a stream" : "Start a stream"}}',
		// Also the default of the tool's "Description" when a user sets an AI Agent tool's description manually.
		description:
			'Start and stop AI analysis of a live RTMP video stream with memories.ai. A started stream is billed every 5 seconds until it is stopped: Stop needs the task_id that Start outputs.',
		defaults: { name: 'Memories.ai Live Video' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_TYPE, required: true }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [{ name: 'Stream', value: 'stream' }],
				default: 'stream',
			},
			...streamDescription,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const output: INodeExecutionData[] = [];
		let session: ApiSession | undefined;
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				session ??= await openSession(this);
				const operation = this.getNodeParameter('operation', itemIndex) as string;
				const json =
					operation === 'stop'
						? await executeStop.call(this, itemIndex, session)
						: await executeStart.call(this, itemIndex, session);
				output.push({ json, pairedItem: { item: itemIndex } });
			} catch (error) {
				const nodeError = toNodeError(this.getNode(), error, itemIndex);
				if (!this.continueOnFail()) throw nodeError;
				output.push({ json: errorItemJson(nodeError), pairedItem: { item: itemIndex } });
			}
		}
		return [output];
	}
}
