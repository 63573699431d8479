def _mse(y_hat, y):
    return ((y_hat - y) ** 2).mean()


def autograd_grad(x, y, w, b):
    w = torch.tensor(float(w), requires_grad=True)
    b = torch.tensor(float(b), requires_grad=True)
    _mse(w * x + b, y).backward()
    print("gradients:", w.grad, b.grad)
    return torch.tensor([w.grad.item(), b.grad.item()], dtype=x.dtype)


def fit_autograd(n_epochs, learning_rate, params, x, y):
    params = params.clone().detach()
    params.requires_grad = True
    losses = []
    for epoch in range(n_epochs):
        if params.grad is not None:
            params.grad.zero_()
        loss = _mse(params[0] * x + params[1], y)
        loss.backward()
        with torch.no_grad():
            losses.append(loss.item())
            params.sub_(learning_rate * params.grad)
        if epoch % 50 == 0:
            print(f"Epoch {epoch}, Loss {loss.item():.4f}")
    return params.detach(), losses


def trainer(model, criterion, optimizer, dataloader, epochs=5, verbose=True):
    """Simple training wrapper for PyTorch network."""
    history = []
    for epoch in range(epochs):
        losses = 0
        for X, y in dataloader:
            optimizer.zero_grad()  # Clear gradients w.r.t. parameters
            y_hat = model(X)  # Forward pass to get output
            loss = criterion(y_hat, y)  # Calculate loss
            loss.backward()  # Getting gradients w.r.t. parameters
            optimizer.step()  # Update parameters
            losses += loss.item()  # Add loss for this batch to running total
        history.append(losses / len(dataloader))
        if verbose:
            print(f"epoch: {epoch + 1}, loss: {history[-1]:.4f}")
    return history
