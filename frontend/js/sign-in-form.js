// The sign-in dialog: email and password, then whichever step the user pool asks for next.

const STEP_HINTS = {
  password: "Sign in with the account your administrator created for you.",
  "new-password": "First sign-in: choose a new password (at least 12 characters with upper and lower case, a digit and a symbol).",
  mfa: "Enter the 6-digit code from your authenticator app.",
};

export class SignInForm {
  constructor(dialog) {
    this.dialog = dialog;
    this.form = dialog.querySelector("form");
    this.error = dialog.querySelector("#sign-in-error");
    this.hint = dialog.querySelector("#sign-in-hint");
    this.submit = dialog.querySelector("button[type=submit]");
    // The page is of no use signed out: Escape must not dismiss the dialog.
    dialog.addEventListener("cancel", (event) => event.preventDefault());
  }

  // `answer(step, values)` returns {tokens} when done or {next} for another step.
  run(answer) {
    this.#show("password");
    this.dialog.showModal();
    return new Promise((resolve) => {
      this.form.onsubmit = async (event) => {
        event.preventDefault();
        this.#busy(true);
        try {
          const outcome = await answer(this.step, this.#values());
          if (outcome.tokens) {
            this.form.reset();
            this.dialog.close();
            resolve(outcome.tokens);
          } else {
            this.#show(outcome.next);
          }
        } catch (error) {
          this.error.textContent = error.message;
          this.error.hidden = false;
        } finally {
          this.#busy(false);
        }
      };
    });
  }

  #show(step) {
    this.step = step;
    this.hint.textContent = STEP_HINTS[step];
    this.error.hidden = true;
    for (const field of this.form.querySelectorAll("[data-step]")) {
      const active = field.dataset.step === step;
      field.hidden = !active;
      for (const input of field.querySelectorAll("input")) input.required = active;
    }
    this.form.querySelector(`[data-step="${step}"] input`)?.focus();
  }

  #values() {
    const value = (id) => this.form.querySelector(`#${id}`).value;
    return {
      email: value("sign-in-email").trim(),
      password: value("sign-in-password"),
      newPassword: value("sign-in-new-password"),
      code: value("sign-in-code").trim(),
    };
  }

  #busy(busy) {
    this.submit.disabled = busy;
    this.form.setAttribute("aria-busy", String(busy));
  }
}
