import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { InputError, stopOutput } from '../../../../core';
import { streamClient } from '../../../shared/streams';
import type { ApiSession } from '../../../shared/transport';

const show = { resource: ['stream'], operation: ['stop'] };

export const stopDescription: INodeProperties[] = [
	{
		displayName: 'Task ID',
		name: 'taskId',
		type: 'string',
		required: true,
		default: '',
		placeholder: '5347085a-…',
		description: 'The task_id that Start returned',
		displayOptions: { show },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'Fail If Not Running',
				name: 'failIfNotFound',
				type: 'boolean',
				default: false,
				description:
					'Whether to fail when memories.ai reports the task as not found or already stopped. Off: that is a successful outcome, flagged in the output.',
			},
		],
	},
];

export async function executeStop(this: IExecuteFunctions, itemIndex: number, session: ApiSession): Promise<IDataObject> {
	const taskId = this.getNodeParameter('taskId', itemIndex);
	const options = this.getNodeParameter('options', itemIndex, {}) as { failIfNotFound?: boolean };
	const result = await streamClient(this, session).stop(taskId);
	if (result.outcome === 'not_found' && options.failIfNotFound === true) {
		throw new InputError(
			'Task ID',
			`No running task has the ID ${result.taskId}: it was never started with this API key, or it has already stopped.`,
		);
	}
	return { ...stopOutput(result) };
}
