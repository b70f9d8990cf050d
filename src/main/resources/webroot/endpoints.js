window.ENDPOINTS = Object.freeze({ws: '/ws', rooms: '/api/rooms', videos: '/api/videos', stats: '/api/stats', overlay: '/overlay', metrics: '/metrics', health: '/health'});
