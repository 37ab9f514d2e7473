"""整改任务 pages: 我的整改, a task with its timeline and the steps its people and its committee take, evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import Action
from foundation.errors import DomainError
from foundation.files import attached_file_response
from rectification import access, selectors, services, texts
from rectification.models import RectificationTask
from rectification.task_forms import (
    AcceptForm,
    ExtensionDecisionForm,
    ExtensionForm,
    MeasureForm,
    PlanForm,
    ProgressForm,
    ReturnForm,
    SubmitForm,
    SuperviseForm,
)


def _user(request: HttpRequest) -> User:
    # Every view here requires sign-in, so the user is a real account.
    return cast(User, request.user)


@dataclass(frozen=True)
class Step:
    """One step a person takes on a task: its form and the one service it calls (who takes it, and when, is
    rectification.access's and the workflow's tables' to say)."""

    form: type[forms.Form]
    run: Callable[[RectificationTask, forms.Form, User], str]
    """Calls the service and returns the message shown on success."""
    files: bool = False


def _expected(form: forms.Form) -> str | None:
    """The version the form was loaded with; a form posted without one (an old page) is not checked."""
    return form.cleaned_data.get("version") or None


def _plan(task: RectificationTask, form: forms.Form, by: User) -> str:
    data = form.cleaned_data
    services.task_plan(
        task=task,
        measures=data["measures"],
        standard=data["standard"],
        commitment=data["commitment"],
        by=by,
        expected=_expected(form),
    )
    return _("整改方案已保存，任务进入整改中。整改过程中请及时报告进展、上传佐证材料。")


def _progress(task: RectificationTask, form: forms.Form, by: User) -> str:
    data = form.cleaned_data
    services.task_progress(task=task, text=data["text"], files=data["files"], by=by, expected=_expected(form))
    return _("进展已记录。")


def _submit(task: RectificationTask, form: forms.Form, by: User) -> str:
    services.task_submit(task=task, text=form.cleaned_data["text"], by=by, expected=_expected(form))
    return _("已申请销号，等待上级党组织验收。")


def _return(task: RectificationTask, form: forms.Form, by: User) -> str:
    services.task_return(task=task, reason=form.cleaned_data["reason"], by=by, expected=_expected(form))
    return _("已退回，整改单位会看到退回理由。")


def _accept(task: RectificationTask, form: forms.Form, by: User) -> str:
    services.task_accept(task=task, comment=form.cleaned_data["comment"], by=by, expected=_expected(form))
    return _("已验收销号。")


def _extend(task: RectificationTask, form: forms.Form, by: User) -> str:
    data = form.cleaned_data
    services.extension_request(
        task=task, deadline=data["deadline"], reason=data["reason"], by=by, expected=_expected(form)
    )
    return _("延期申请已提交，等待上级党组织审批；审批前仍按原时限计算。")


def _supervise(task: RectificationTask, form: forms.Form, by: User) -> str:
    services.task_supervise(task=task, text=form.cleaned_data["text"], by=by, expected=_expected(form))
    return _("已挂牌督办。")


def _measure(task: RectificationTask, form: forms.Form, by: User) -> str:
    assert isinstance(form, MeasureForm)
    services.measure_record(task=task, text=form.text(), by=by, expected=_expected(form))
    return _("问责措施已记录。")


STEPS: dict[str, Step] = {
    "plan": Step(PlanForm, run=_plan),
    "progress": Step(ProgressForm, run=_progress, files=True),
    "submit": Step(SubmitForm, run=_submit),
    "extend": Step(ExtensionForm, run=_extend),
    "return": Step(ReturnForm, run=_return),
    "accept": Step(AcceptForm, run=_accept),
    "supervise": Step(SuperviseForm, run=_supervise),
    "measure": Step(MeasureForm, run=_measure),
}


def _detail(
    request: HttpRequest,
    task: RectificationTask,
    bound: dict[str, forms.Form] | None = None,
    decision: ExtensionDecisionForm | None = None,
) -> HttpResponse:
    user = _user(request)
    today = timezone.localdate()
    page = selectors.task_page(task, today)
    actions = access.allowed_actions(user, task, pending_extension=page.pending_extension is not None, today=today)
    # Every form carries the version of the task as shown here, so a step over a newer state is refused.
    initial = {"version": services.task_fingerprint(task, page.pending_extension)}
    step_forms: dict[str, forms.Form] = {
        name: step.form(prefix=name, initial=initial) for name, step in STEPS.items() if name in actions
    }
    step_forms.update(bound or {})
    if decision is None and "decide" in actions:
        decision = ExtensionDecisionForm(prefix="decide", initial=initial)
    return render(
        request,
        "rectification/tasks/task_detail.html",
        {
            "page": page,
            "task": task,
            "line": page.line,
            "organization": task.organization,
            "forms": step_forms,
            "actions": actions,
            "keeps": access.keeps(user, task),
            "supervises": access.supervises(user, task),
            "decision_form": decision,
            "likenesses": texts.task_likenesses(user, task),
        },
    )


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    """我的整改: the tasks the person answers for, then those of the organizations they keep, then the closed."""
    user = _user(request)
    is_committee = access.is_committee(user)
    return render(
        request,
        "rectification/tasks/my_tasks.html",
        {
            "tasks": selectors.my_tasks(user, timezone.localdate()),
            "is_committee": is_committee,
            "today": timezone.localdate(),
        },
    )


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A task: its findings, plan, deadline, state, the whole timeline, and the steps the reader may take."""
    return _detail(request, access.task_for(_user(request), pk))


def _keep_typed(form: forms.Form, task: RectificationTask) -> None:
    """After a refused stale step: the typed text stays, and the form now carries the task's current version.

    Once the person has read the newer state and merged their text, a second submit goes through.
    """
    task.refresh_from_db()
    typed = cast(QueryDict, form.data).copy()  # the posted data of a bound form
    typed[form.add_prefix("version")] = services.task_fingerprint(task)
    form.data = typed


@login_required
@require_POST
def task_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One step on a task; a refused one saves nothing and shows the page again with what was typed."""
    step = STEPS.get(action)
    if step is None:
        raise Http404
    user = _user(request)
    task = access.task_step_for(user, pk, action)
    form = step.form(request.POST, request.FILES if step.files else None, prefix=action)
    if form.is_valid():
        try:
            message = step.run(task, form, user)
        except services.TaskChanged as error:
            form.add_error(None, str(error))
            _keep_typed(form, task)
        except DomainError as error:
            if action not in access.allowed_actions(user, task):
                # The task has moved on (a second submit, say): nothing to correct, just say why.
                messages.error(request, str(error))
                return redirect("task_detail", task.pk)
            form.add_error(None, str(error))
        else:
            messages.success(request, message)
            return redirect("task_detail", task.pk)
    return _detail(request, task, {action: form})


@login_required
@require_POST
def extension_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The committee approves (the deadline moves) or rejects a pending extension request."""
    user = _user(request)
    extension = access.extension_for(user, pk, Action.SUPERVISE)
    form = ExtensionDecisionForm(request.POST, prefix="decide")
    if not form.is_valid():
        messages.error(request, _("请选择同意或不同意延期。"))
        return redirect("task_detail", extension.task_id)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.extension_decide(
            extension=extension,
            approve=approve,
            comment=form.cleaned_data["comment"],
            by=user,
            expected=form.cleaned_data["version"] or None,
        )
    except services.TaskChanged as error:
        form.add_error(None, str(error))
        task = access.task_for(user, extension.task_id)
        _keep_typed(form, task)
        return _detail(request, task, decision=form)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        if approve:
            messages.success(
                request,
                _("已同意延期，整改时限改为 %(date)s。") % {"date": extension.requested_deadline.isoformat()},
            )
        else:
            messages.success(request, _("已不同意延期，仍按原时限整改。"))
    return redirect("task_detail", extension.task_id)


@login_required
def task_evidence(request: HttpRequest, pk: int) -> FileResponse:
    """Serves an evidence file (or with `?size=thumb` its thumbnail) from storage, never from a public URL."""
    evidence = access.task_evidence_for(_user(request), pk)
    return attached_file_response(request, evidence, evidence.file)


urlpatterns = [
    path("rectification/mine/", my_tasks, name="my_tasks"),
    path("rectification/tasks/<int:pk>/", task_detail, name="task_detail"),
    path("rectification/tasks/<int:pk>/do/<str:action>/", task_action, name="task_action"),
    path("rectification/evidence/<int:pk>/", task_evidence, name="task_evidence"),
    path("rectification/extensions/<int:pk>/decide/", extension_decide, name="extension_decide"),
]
