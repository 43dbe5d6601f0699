import { badgeNote, interactiveNotes } from '../../src/lab/interactive-notes';

test('stale steps say why; a foreach body names its element; partial joins and what follows them say so', () => {
  const steps = [
    { step: 'start', stale: true, reason: 'parameters' as const },
    { step: 'train', stale: false, element: { split: 'start', index: 0, count: 6 } },
    { step: 'pick', stale: false, partial: { join: 'pick', split: 'start', ran: [0], count: 6 } },
    {
      step: 'end',
      stale: true,
      reason: 'upstream' as const,
      partial: { join: 'pick', split: 'start', ran: [0], count: 6 },
    },
  ];
  expect(interactiveNotes(steps).map((n) => n.text)).toEqual([
    'start is stale: a parameter changed since it ran.',
    'train ran element 1 of 6 of the foreach at start only.',
    'pick is partial: it joined 1 of 6 elements; a flow run joins all 6.',
    'end is stale: an upstream step re-ran since it ran.',
    'end is partial: it is built on pick, which joined 1 of 6 elements.',
  ]);
  expect(badgeNote(steps[1])).toBe('ran · element 1/6');
  expect(badgeNote(steps[2])).toBe('ran · partial 1/6');
  expect(badgeNote(steps[0])).toBe('stale');
  expect(badgeNote(undefined)).toBeUndefined();
});
