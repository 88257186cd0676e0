// The erasure confirmation: a modal dialog (focus stays inside it; Escape cancels) whose
// default button is Cancel.
const dialog = document.getElementById('confirm');
const title = document.getElementById('confirm-title');
const text = document.getElementById('confirm-text');
const cancel = document.getElementById('confirm-cancel');
const erase = document.getElementById('confirm-erase');

export function confirmErasure(heading, explanation, action) {
  return new Promise((resolve) => {
    title.textContent = heading;
    text.textContent = explanation;
    erase.textContent = action;
    const done = (value) => {
      cancel.removeEventListener('click', onCancel);
      erase.removeEventListener('click', onErase);
      dialog.removeEventListener('close', onClose);
      if (dialog.open) {
        dialog.close();
      }
      resolve(value);
    };
    const onCancel = () => done(false);
    const onErase = () => done(true);
    const onClose = () => done(false);
    cancel.addEventListener('click', onCancel);
    erase.addEventListener('click', onErase);
    dialog.addEventListener('close', onClose);
    dialog.showModal();
    cancel.focus();
  });
}
