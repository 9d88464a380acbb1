// The account page: sign up, sign in or continue as a guest; then the
// profile, the live notices, the device list with a sign-out button per
// device, password, export and delete. A device whose session is ended
// elsewhere shows the signed-out screen with the reason at once.
import "./account.css";
import { byId } from "../dom";
import { AccountError, call, type Grant, type Notice, type SessionInfo } from "./api";
import { Live } from "./live";
import { AccountSession } from "./session";
import { addNotice, problem, renderConn, renderDevices, renderProfile, show, showSignedOut } from "./view";

const session = new AccountSession();
let live: Live | null = null;

function explain(e: unknown): string {
  if (e instanceof AccountError) return e.advice;
  return e instanceof Error ? e.message : String(e);
}

/** A Bearer call; an expired connection token is renewed once. */
async function authed<T>(path: string, body?: unknown): Promise<T> {
  try {
    return await call<T>(path, body, session.bearer);
  } catch (e) {
    if (e instanceof AccountError && e.status === 401 && e.code === 109) {
      await session.token();
      return call<T>(path, body, session.bearer);
    }
    throw e;
  }
}

/** Runs an action from a button or form: pending while it runs. */
async function pending(button: HTMLButtonElement, busyText: string, action: () => Promise<void>): Promise<void> {
  const text = button.textContent ?? "";
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = busyText;
  try {
    await action();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = text;
  }
}

function showAuth(message = ""): void {
  show("auth");
  problem("auth-problem", message);
  byId<HTMLInputElement>("signin-email").focus();
}

function enter(g: Grant): void {
  show("account");
  renderProfile(g.user);
  live?.stop();
  live = new Live(session, g.user.id, g.token, {
    notice: onNotice,
    state: renderConn,
    ended: (_code, reason) => ended(reason),
  });
  void refreshDevices();
}

function ended(reason: string): void {
  live?.stop();
  live = null;
  session.end(reason);
  renderConn("signed-out");
  showSignedOut(reason);
}

function onNotice(n: Notice): void {
  const mine = session.current?.session;
  if (n.type === "account.signin" && n.session === mine) return; // this very sign-in
  addNotice(n);
  void refreshDevices();
}

async function refreshDevices(): Promise<void> {
  try {
    const { sessions } = await authed<{ sessions: SessionInfo[] }>("sessions");
    renderDevices(sessions, revoke);
    problem("devices-problem", "");
  } catch (e) {
    if (e instanceof AccountError && e.sessionEnded) return ended(e.message);
    problem("devices-problem", `Could not load your devices: ${explain(e)}`);
  }
}

function revoke(s: SessionInfo, button: HTMLButtonElement): void {
  void pending(button, "Signing out…", async () => {
    try {
      await authed("sessions/revoke", { session: s.id });
      problem("devices-problem", "");
    } catch (e) {
      problem("devices-problem", `Could not sign out ${s.device.name}: ${explain(e)}`);
    }
    await refreshDevices();
  });
}

function wireAuthForms(): void {
  const tabs = ["signin", "signup", "guest"];
  for (const name of tabs) {
    byId(`tab-${name}`).addEventListener("click", () => {
      for (const other of tabs) {
        byId(`tab-${other}`).setAttribute("aria-selected", String(other === name));
        byId(`form-${other}`).hidden = other !== name;
      }
      problem("auth-problem", "");
    });
  }
  const submit = (form: string, busy: string, act: (data: FormData) => Promise<Grant>): void => {
    const f = byId<HTMLFormElement>(form);
    f.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const button = f.querySelector<HTMLButtonElement>("button[type=submit]");
      if (!button) return;
      void pending(button, busy, async () => {
        try {
          problem("auth-problem", "");
          enter(await act(new FormData(f)));
          f.reset();
        } catch (e) {
          problem("auth-problem", explain(e));
        }
      });
    });
  };
  const v = (d: FormData, k: string): string => String(d.get(k) ?? "");
  submit("form-signin", "Signing in…", (d) => session.signIn(v(d, "email"), v(d, "password")));
  submit("form-signup", "Creating…", (d) => session.signUp(v(d, "name"), v(d, "email"), v(d, "password")));
  submit("form-guest", "Starting…", (d) => session.guest(v(d, "name")));
  byId("signed-out-again").addEventListener("click", () => showAuth());
}

function wireAccount(): void {
  const others = byId<HTMLButtonElement>("revoke-others");
  others.addEventListener("click", () => {
    void pending(others, "Signing out…", async () => {
      try {
        await authed("sessions/revoke", { others: true });
      } catch (e) {
        problem("devices-problem", explain(e));
      }
      await refreshDevices();
    });
  });
  const signout = byId<HTMLButtonElement>("signout");
  signout.addEventListener("click", () => {
    void pending(signout, "Signing out…", async () => {
      live?.stop();
      live = null;
      await session.signOut().catch(() => undefined);
      renderConn("none");
      showAuth("You signed out on this device.");
    });
  });
  const exp = byId<HTMLButtonElement>("export");
  exp.addEventListener("click", () => {
    void pending(exp, "Preparing…", async () => {
      try {
        const data = await authed<unknown>("export");
        const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
        const a = document.createElement("a");
        a.href = url;
        a.download = "liveroom-account.json";
        a.click();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      } catch (e) {
        problem("devices-problem", `Export failed: ${explain(e)}`);
      }
    });
  });
  formAction("form-password", "password-problem", "Changing…", async (d) => {
    const r = await authed<{ ended_sessions: number }>("password", {
      current_password: d.get("current"),
      new_password: d.get("new"),
      end_other_sessions: byId<HTMLInputElement>("password-others").checked,
    });
    return r.ended_sessions > 0 ? `Password changed; ${r.ended_sessions} other device(s) signed out.` : "Password changed.";
  });
  formAction("form-upgrade", "upgrade-problem", "Saving…", async (d) => {
    const r = await authed<{ user: Grant["user"] }>("upgrade", { email: d.get("email"), password: d.get("password") });
    renderProfile(r.user);
    return "Saved: sign in with this email from now on.";
  });
  formAction("form-delete", "delete-problem", "Deleting…", async (d) => {
    if (!window.confirm("Delete your account? This cannot be undone.")) return "";
    await authed("delete", { password: d.get("password") ?? "" });
    ended("account deleted");
    return "";
  });
}

/** A form whose action returns a success message (shown in its region). */
function formAction(form: string, region: string, busy: string, act: (d: FormData) => Promise<string>): void {
  const f = byId<HTMLFormElement>(form);
  f.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const button = f.querySelector<HTMLButtonElement>("button[type=submit]");
    if (!button) return;
    void pending(button, busy, async () => {
      const p = byId(region);
      try {
        const msg = await act(new FormData(f));
        p.dataset["kind"] = "ok";
        problem(region, msg);
        if (msg) f.reset();
      } catch (e) {
        if (e instanceof AccountError && e.sessionEnded) return ended(e.message);
        p.dataset["kind"] = "error";
        problem(region, explain(e));
      }
    });
  });
}

async function boot(): Promise<void> {
  wireAuthForms();
  wireAccount();
  show("loading");
  try {
    const g = await session.resume();
    if (g) enter(g);
    else showAuth();
  } catch (e) {
    if (e instanceof AccountError && e.sessionEnded) showSignedOut(e.message);
    else showAuth(explain(e));
  }
}

void boot();
