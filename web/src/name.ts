// The display-name dialog.
import { byId } from "./dom";

/**
 * Asks for a display name. Resolves with the trimmed name, or "" when the
 * visitor cancels (only allowed when cancellable: a first visit must choose).
 */
export function askName(current: string, problem = "", cancellable = false): Promise<string> {
  const dialog = byId<HTMLDialogElement>("name-dialog");
  const form = byId<HTMLFormElement>("name-form");
  const input = byId<HTMLInputElement>("name-input");
  const why = byId("name-problem");
  const cancel = byId<HTMLButtonElement>("name-cancel");
  input.value = current;
  why.textContent = problem;
  why.hidden = problem === "";
  if (problem) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
  cancel.hidden = !cancellable;
  return new Promise((resolve) => {
    const done = (value: string): void => {
      form.removeEventListener("submit", onSubmit);
      dialog.removeEventListener("cancel", onCancel);
      cancel.removeEventListener("click", onCancelClick);
      dialog.close();
      resolve(value);
    };
    const onSubmit = (ev: SubmitEvent): void => {
      ev.preventDefault();
      const name = input.value.trim();
      if (!name) {
        why.textContent = "type a name others will see";
        why.hidden = false;
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      done(name);
    };
    const onCancel = (ev: Event): void => {
      ev.preventDefault(); // Escape: closes only when cancelling is allowed
      if (cancellable) done("");
    };
    const onCancelClick = (): void => done("");
    form.addEventListener("submit", onSubmit);
    dialog.addEventListener("cancel", onCancel);
    cancel.addEventListener("click", onCancelClick);
    dialog.showModal();
    input.focus();
    input.select();
  });
}
