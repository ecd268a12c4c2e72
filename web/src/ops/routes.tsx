import { has, type Area } from '../ui/nav';
import { adminNav, adminRoutes } from './admin/routes';
import { ChannelScreen, ChannelsScreen, NewChannelScreen } from './channels';
import { DistributionScreen } from './distribution';
import { navMsg } from './messages';
import { FailuresScreen, PayloadScreen } from './payloads';
import { ReviewsScreen } from './reviews';
import './ops.css';

/** The ops console: channels, failed payloads, the stock review queue, distribution, dealers, regions, exclusivity, users, audit. */
export const opsArea: Area = {
  routes: [
    { path: 'ops/channels', element: <ChannelsScreen /> },
    { path: 'ops/channels/new', element: <NewChannelScreen /> },
    { path: 'ops/channels/:id', element: <ChannelScreen /> },
    { path: 'ops/payloads', element: <FailuresScreen /> },
    { path: 'ops/payloads/:id', element: <PayloadScreen /> },
    { path: 'ops/reviews', element: <ReviewsScreen /> },
    { path: 'ops/distribution', element: <DistributionScreen /> },
    ...adminRoutes,
  ],
  nav: [
    { to: '/ops/channels', label: navMsg.channels, visible: has('channels.write') },
    { to: '/ops/payloads', label: navMsg.payloads, visible: has('payloads.read') },
    { to: '/ops/reviews', label: navMsg.reviews, visible: has('stock.review') },
    { to: '/ops/distribution', label: navMsg.distribution, visible: has('distribution.read') },
    ...adminNav,
  ],
};
