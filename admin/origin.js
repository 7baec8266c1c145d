// Ours, loaded before the dashboard's scripts: the server URL the dashboard asks for defaults to the
// origin that served it (this gateway), so it connects to /admin here unless told otherwise.
if (!localStorage.getItem("server_url")) localStorage.setItem("server_url", window.location.origin);
