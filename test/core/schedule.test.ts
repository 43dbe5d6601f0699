import { cronProblem, scheduleOf } from '../../src/core';

describe('schedules', () => {
  test.each(['0 3 * * *', '*/5 * * * *', '0 0 1 jan mon', '15,45 9-17 * * 1-5', '@daily', '@Hourly'])(
    '%s is a cron expression',
    (schedule) => expect(cronProblem(schedule)).toBeUndefined(),
  );

  test.each([
    ['every night', /not a cron expression \(five fields/],
    ['0 3 * *', /not a cron expression/],
    ['0 3 * * * *', /not a cron expression/],
    ['0 3 * * *\n* * * * * rm -rf ~', /not a cron expression/],
    ['0 3 * * ; true', /not a cron expression/],
    ['@sometimes', /not a cron keyword/],
  ])('%j is refused', (schedule, message) => expect(cronProblem(schedule)).toMatch(message));

  test('metadata.cellflow.schedule: absent, a schedule, or why it is not one', () => {
    expect(scheduleOf({})).toEqual({});
    expect(scheduleOf({ cellflow: { flow: 'x' } })).toEqual({});
    expect(scheduleOf({ cellflow: { schedule: ' 0 3 * * * ' } })).toEqual({ schedule: '0 3 * * *' });
    expect(scheduleOf({ cellflow: { schedule: 3 } })).toEqual({
      problem: 'metadata.cellflow.schedule must be a cron expression (a string)',
    });
    expect(scheduleOf({ cellflow: { schedule: 'nightly' } }).problem).toMatch(
      /^metadata\.cellflow\.schedule: 'nightly' is not a cron expression/,
    );
  });
});
