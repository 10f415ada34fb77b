import type { INodeProperties } from 'n8n-workflow';

import { startDescription } from './start';
import { stopDescription } from './stop';

export { executeStart } from './start';
export { executeStop } from './stop';

export const streamDescription: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['stream'] } },
		options: [
			{
				name: 'Start',
				value: 'start',
				description:
					'Start analysing a live RTMP stream with a prompt; results go to the callback URL. Billed every 5 seconds until it is stopped: keep the task_id from the output and stop it with Stop.',
				// An AI Agent's model sees "<action> in Memories.ai Live Video" as the tool's description (sentence case: n8n's lint).
				action: 'Start a live stream analysis billed every 5 seconds until you stop it by its task ID',
			},
			{
				name: 'Stop',
				value: 'stop',
				description:
					'Stop a running stream analysis and its billing, by the task_id that Start outputs. Stopping a stream that is already stopped is harmless.',
				action: 'Stop a live stream analysis and its billing by its task ID',
			},
		],
		default: 'start',
	},
	...startDescription,
	...stopDescription,
];
