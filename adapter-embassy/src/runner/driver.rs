//! The driver task: what the session asks for (token fetches, REST calls, socket commands),
//! carried out in order, and what it reports, published to the application.

use super::*;
use rest::exchange;

pub(super) struct Driver<'d, 'c, 'a, R, N, C, M: RawMutex> {
    pub(super) shared: &'d Shared<'d, R>,
    pub(super) link: &'d Link<'d, N, C>,
    pub(super) pool: &'d Pool<'c>,
    pub(super) credentials: Credentials<'a>,
    pub(super) client: &'d ClientState<M>,
    pub(super) token: &'d mut Option<Secret<String<MAX_ACCESS_TOKEN_LEN>>>,
    /// The session asked for a token while a REST call waited for a connection.
    pub(super) token_wanted: bool,
    /// The session stopped while a REST call waited for a connection.
    pub(super) stopped: Option<StopReason>,
}

impl<'d, 'c, R, N, C, M> Driver<'d, 'c, '_, R, N, C, M>
where
    R: RngCore + CryptoRng,
    N: Network,
    C: WallClock,
    M: RawMutex,
{
    pub(super) async fn run(&mut self, transmit: &mut [u8]) -> Exit {
        loop {
            // 1. Everything the session wants done now.
            loop {
                if core::mem::take(&mut self.token_wanted) && self.stopped.is_none() {
                    self.fetch_token().await;
                }
                // Once stopped, the session hands out only the closes of its sockets.
                let at = now();
                let buf = &mut *transmit;
                let Some(next) = self.shared.with_session(|s| s.poll_transmit(at, buf)) else {
                    break;
                };
                match next {
                    Transmit::FetchToken { .. } => self.fetch_token().await,
                    Transmit::Http { id, request } => {
                        let Some(mut lease) = self.lease().await else {
                            continue;
                        };
                        let outcome = self.rest(lease.connection(), &request).await;
                        self.shared.with_session(|session| match outcome {
                            Ok(response) => session.handle_response(
                                now(),
                                id,
                                response.status,
                                response.retry_after,
                                response.body,
                            ),
                            Err(transport) => session.handle_request_failed(now(), id, transport),
                        });
                    }
                    other => self.socket_work(other),
                }
            }
            // 2. Everything the application should know.
            self.publish_events();
            if let Some(reason) = self.stopped.take() {
                // The session has already asked for every socket to close; let the slots do it.
                self.wait_for_slots().await;
                return Exit::Stopped(reason);
            }
            // 3. Sleep until the next deadline, a socket's news, or a command.
            let timer = self.session_timer();
            match select3(timer, self.shared.wake.wait(), self.client.command()).await {
                Either3::First(()) => self.shared.with_session(|s| s.handle_timeout(now())),
                Either3::Second(()) => {}
                Either3::Third(Command::Shutdown) => {
                    for slot in &self.shared.slots {
                        if let Some(socket) = slot.socket.get() {
                            let _ = slot.commands.try_send(SlotCommand::Close(socket));
                        }
                    }
                    self.wait_for_slots().await;
                    self.client.update(|status| status.stopped = true);
                    return Exit::Shutdown;
                }
            }
        }
    }

    /// Hands a socket's transmit to its slot.
    fn socket_work(&self, transmit: Transmit<'_>) {
        match transmit {
            Transmit::Connect { socket, uri } => self.connect(socket, uri),
            Transmit::Send { socket, text } => match Vec::from_slice(text) {
                Ok(text) => self.tell(socket, SlotCommand::Send(socket, text)),
                // Larger than any frame the session sends today: drop the socket rather than a
                // frame, so the session notices and reconnects.
                Err(_) => self.tell(socket, SlotCommand::Close(socket)),
            },
            Transmit::Close { socket } => self.tell(socket, SlotCommand::Close(socket)),
            _ => {}
        }
    }

    /// Sleeps until the session's next deadline.
    fn session_timer(&self) -> impl Future<Output = ()> + use<R, N, C, M> {
        let deadline = self.shared.session.borrow().poll_timeout();
        async move {
            match deadline {
                Some(at) => {
                    embassy_time::Timer::at(embassy_time::Instant::from_millis(at.as_millis()))
                        .await;
                }
                None => core::future::pending().await,
            }
        }
    }

    /// A connection for a REST call; `None` if the session stopped meanwhile.
    ///
    /// When none is free (a rollover's overlap), waits while serving the session (the module
    /// docs say why): an empty buffer lets only the transmits that need no bytes out of
    /// [`Session::poll_transmit`], and the session keeps the others for later.
    async fn lease(&mut self) -> Option<Lease<'d, 'c>> {
        loop {
            if let Some(lease) = self.pool.try_lease() {
                return Some(lease);
            }
            // What needs no buffer still goes out: the old socket's close (which frees a
            // connection), and a token request, remembered for when a connection is free.
            while let Some(next) = self
                .shared
                .with_session(|s| s.poll_unbuffered_transmit(now()))
            {
                match next {
                    Transmit::FetchToken { .. } => self.token_wanted = true,
                    other => self.socket_work(other),
                }
            }
            self.publish_events();
            if self.stopped.is_some() {
                return None;
            }
            let timer = self.session_timer();
            match select3(timer, self.shared.wake.wait(), self.pool.freed()).await {
                Either3::First(()) => self.shared.with_session(|s| s.handle_timeout(now())),
                Either3::Second(()) | Either3::Third(()) => {}
            }
        }
    }

    /// Waits (a bounded time) until every socket slot has finished, so that close frames go out
    /// before [`Runner::run`] returns and drops the slots.
    async fn wait_for_slots(&self) {
        let all_idle = async {
            while self
                .shared
                .slots
                .iter()
                .any(|slot| slot.socket.get().is_some())
            {
                self.shared.wake.wait().await;
            }
        };
        let _ = with_timeout(CLOSE_TIMEOUT, all_idle).await;
    }

    /// Drains the session's events into the client state; keeps the stop reason if it stopped.
    fn publish_events(&mut self) {
        let tls_failure = self.shared.tls_failure.get();
        self.client.update(|status| {
            if tls_failure.is_some() {
                status.last_tls_error = tls_failure;
            }
        });
        loop {
            let Some(event) = self.shared.with_session(Session::poll_event) else {
                return;
            };
            match event {
                SessionEvent::AgentChanged {
                    agent: 0,
                    activity,
                    stale,
                } => self.client.update(|status| {
                    status.activity = activity;
                    status.stale = stale;
                }),
                SessionEvent::Health(health) => {
                    report!(info, "health: ", health);
                    self.client.update(|status| status.health = health);
                }
                SessionEvent::Diagnosis(diagnosis) => {
                    report!(warn, "", diagnosis);
                    self.client.diagnosed(diagnosis);
                }
                SessionEvent::Notice(notice) => report!(info, "", notice),
                SessionEvent::BufferTooSmall(error) => report!(error, "transmit buffer: ", error),
                SessionEvent::Connection(info) => self.client.update(|status| {
                    status.live = info.live;
                    status.reconnects = info.reconnects;
                }),
                SessionEvent::Stopped(reason) => {
                    report!(error, "stopped: ", reason);
                    self.client.update(|status| status.stopped = true);
                    self.stopped = Some(reason);
                    return;
                }
                _ => {}
            }
        }
    }

    fn connect(&self, socket: SocketId, uri: ConnectUri<'_>) {
        // The session checked the URI against the environment: host and port are the
        // environment's streaming origin, so only the path is needed here.
        let path = String::try_from(uri.path()).ok();
        let free = self
            .shared
            .slots
            .iter()
            .find(|slot| slot.socket.get().is_none());
        if let (Some(path), Some(slot)) = (path, free)
            && slot
                .commands
                .try_send(SlotCommand::Connect(socket, path))
                .is_ok()
        {
            slot.socket.set(Some(socket));
            return;
        }
        // No free slot (the old socket's close is still under way) or an unusable URI: report
        // the attempt as failed; the session retries with back-off.
        let failed = CloseInfo::Transport(Transport::Other);
        self.shared
            .with_session(|s| s.handle_socket_closed(now(), socket, failed));
    }

    fn tell(&self, socket: SocketId, command: SlotCommand) {
        let slot = self
            .shared
            .slots
            .iter()
            .find(|slot| slot.socket.get() == Some(socket));
        if let Some(slot) = slot {
            // A full queue means the slot is wedged; the session's watchdog will notice.
            let _ = slot.commands.try_send(command);
        }
    }

    async fn fetch_token(&mut self) {
        match self.credentials {
            Credentials::Static(token) => {
                // The core asks a static provider once: a refused token stops the session.
                let kept = String::try_from(token.expose_secret()).ok();
                let delivered = kept.is_some();
                *self.token = kept.map(Secret::new);
                self.shared.with_session(|s| {
                    if delivered {
                        s.handle_token(now(), Duration::MAX);
                    } else {
                        s.handle_token_failure(now(), TokenFailure::Unavailable);
                    }
                });
            }
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => {
                let mut request_buf = [0u8; TOKEN_REQUEST_BUFFER_LEN];
                let mut header_buf = [0u8; AUTHORIZATION_BUFFER_LEN];
                let request = request::token_client_credentials(&mut request_buf);
                let header =
                    request::basic_authorization(client_id, &client_secret, &mut header_buf);
                let (Ok(request), Ok(header)) = (request, header) else {
                    let failure = TokenFailure::Transport(Transport::Other);
                    self.shared
                        .with_session(|s| s.handle_token_failure(now(), failure));
                    return;
                };
                let Some(mut lease) = self.lease().await else {
                    return;
                };
                let connection = lease.connection();
                let outcome =
                    exchange(self.link, self.shared, connection, &request, Some(header)).await;
                // What the reply means is the core's to say; this driver only keeps the token.
                let reply = outcome
                    .map_err(TokenFailure::Transport)
                    .and_then(|response| {
                        read_token_reply(response.status, response.retry_after, response.body)
                    });
                let token = &mut *self.token;
                self.shared.with_session(|session| match reply {
                    Ok(reply) => match String::try_from(reply.access_token.expose_secret()) {
                        Ok(value) => {
                            *token = Some(Secret::new(value));
                            let expires_in = reply.expires_in.unwrap_or(Duration::MAX);
                            session.handle_token(now(), expires_in);
                        }
                        Err(_) => {
                            report!(warn, "token: not kept, longer than ", MAX_ACCESS_TOKEN_LEN);
                            let too_long = ResponseError::Field {
                                name: "access_token",
                            };
                            session.handle_token_failure(now(), TokenFailure::Unreadable(too_long));
                        }
                    },
                    Err(failure) => session.handle_token_failure(now(), failure),
                });
            }
        }
    }

    async fn rest<'b>(
        &self,
        connection: &'b mut Connection<'_>,
        request: &request::Request<'_>,
    ) -> Result<http::Response<'b>, Transport> {
        let mut header_buf = [0u8; AUTHORIZATION_BUFFER_LEN];
        let header = match (request.auth, &*self.token, self.credentials) {
            (Auth::Bearer, Some(token), _) => {
                request::bearer_authorization(token, &mut header_buf).ok()
            }
            (
                Auth::Basic,
                _,
                Credentials::ClientCredentials {
                    client_id,
                    client_secret,
                },
            ) => request::basic_authorization(client_id, &client_secret, &mut header_buf).ok(),
            _ => None,
        };
        exchange(self.link, self.shared, connection, request, header).await
    }
}
