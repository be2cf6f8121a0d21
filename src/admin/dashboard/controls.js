// trunkwise dashboard: the operator's buttons (drain, undrain, disable, enable). State-changing calls
// need the admin token (TRUNKWISE_ADMIN_TOKEN): the page asks for it in a dialog the first time and
// keeps it for this tab only (sessionStorage); a refused token is forgotten and asked for again.
'use strict';
window.TW = window.TW || {};

const TOKEN_KEY = 'trunkwise-admin-token';

function askToken(action, carrier) {
  const dlg = document.querySelector('#token-dialog');
  const input = dlg.querySelector('input[name="token"]');
  dlg.querySelector('[data-role="what"]').textContent = `${action} ${carrier}`;
  input.value = '';
  return new Promise((resolve) => {
    const done = (value) => {
      dlg.removeEventListener('close', onClose);
      resolve(value);
    };
    const onClose = () => done(dlg.returnValue === 'ok' && input.value ? input.value : null);
    dlg.addEventListener('close', onClose);
    dlg.showModal();
    input.focus();
  });
}

function flash(text, bad) {
  const el = document.querySelector('#flash');
  el.textContent = text;
  el.className = bad ? 'flash bad' : 'flash';
  el.hidden = false;
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => (el.hidden = true), 6000);
}

async function act(action, carrier) {
  let token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) token = await askToken(action, carrier);
  if (!token) return;
  const r = await fetch(`/carriers/${encodeURIComponent(carrier)}/${action}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  const body = await r.json().catch(() => ({}));
  if (r.status === 401 || r.status === 403) {
    sessionStorage.removeItem(TOKEN_KEY);
    flash(`${action} ${carrier} refused: ${body.error || r.status}`, true);
    return;
  }
  if (!r.ok) {
    flash(`${action} ${carrier} failed: ${body.error || r.status}`, true);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  flash(`${carrier}: ${action} done (${body.manual})`);
  TW.refresh();
}

TW.installControls = () => {
  document.querySelector('#carriers').addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-action]');
    if (!b) return;
    const { action, carrier } = b.dataset;
    if (action === 'disable' && !window.confirm(`Disable ${carrier}? It gets no calls until enabled again.`)) return;
    act(action, carrier).catch((err) => flash(`${action} ${carrier} failed: ${err.message}`, true));
  });
  document.querySelector('#forget-token').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    flash('admin token forgotten for this tab');
  });
};
