// cellflow's icon: three steps, a branch and a join.
import { LabIcon } from '@jupyterlab/ui-components';

const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">
  <g class="jp-icon3" fill="#616161">
    <rect x="6" y="0.5" width="4" height="3" rx="0.8"/>
    <rect x="1" y="6.5" width="4" height="3" rx="0.8"/>
    <rect x="11" y="6.5" width="4" height="3" rx="0.8"/>
    <rect x="6" y="12.5" width="4" height="3" rx="0.8"/>
    <path d="M7.5 3.5 3.2 6.5h1.2L8 4l3.6 2.5h1.2L8.5 3.5zM3 9.5l4.5 3h1l4.5-3h-1.2L8 12 4.2 9.5z"/>
  </g>
</svg>`;

export const cellflowIcon = new LabIcon({ name: 'cellflow:icon', svgstr });
