def _apply_reduction(losses, reduction):
    valid = ("none", "mean", "sum")
    if reduction not in valid:
        raise ValueError(f"reduction={reduction!r} is not one of {valid}")
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def mse_loss(input, target, reduction="mean"):
    return _apply_reduction((input - target).pow(2), reduction)


def l1_loss(input, target, reduction="mean"):
    return _apply_reduction(torch.abs(input - target), reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, reduction="mean"):
    if p not in (1, 2):
        raise ValueError("only p=1 and p=2 are supported")
    wrong_class = 1 - F.one_hot(target, input.shape[1]).to(input.dtype)
    correct = input[torch.arange(input.shape[0]), target].unsqueeze(1)
    terms = F.relu(margin - correct + input).pow(p) * wrong_class
    return _apply_reduction(terms.mean(1), reduction)


def train_ffn(X, y, hidden_size=4, epochs=400, lr=1e-2, seed=0):
    torch.manual_seed(seed)
    net = FFN(X.shape[1], 1, hidden_size)
    print(net)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    criterion = nn.MSELoss()
    losses = []
    for epoch in range(epochs):
        optimizer.zero_grad()
        y_pred = net(X).squeeze(1)
        loss = criterion(y_pred, y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if epoch % 100 == 0:
            print(f"epoch {epoch}: loss {loss.item():.4f}")
    return net, losses
